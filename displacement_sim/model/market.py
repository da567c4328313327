"""Market rules as pure functions on arrays: adoption, churn, matching, training.

Each function takes arrays and a ``numpy.random.Generator`` where it draws, returns arrays, and
knows nothing of Mesa, so each rule can be tested on its own.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq


def logistic_share(t_years: np.ndarray | float, target_share: float, target_year: float,
                   duration_years: float) -> np.ndarray:
    """Logistic adoption path reaching ``target_share`` at ``target_year``.

    ``F(t) = 1 / (1 + exp(-k (t - t0)))`` with ``k = 2 ln 9 / duration`` (so 10% to 90% takes
    ``duration_years``) and ``t0`` chosen so that ``F(target_year) = target_share``.

    Parameters
    ----------
    t_years : numpy.ndarray or float
        Time, in calendar years.
    target_share : float
        The share reached at ``target_year``, strictly between 0 and 1.
    target_year : float
        The calendar year at which the path reaches ``target_share``.
    duration_years : float
        Years the path takes from 10% to 90%.

    Returns
    -------
    numpy.ndarray
        The share at each time, between 0 and 1.

    Examples
    --------
    Half of the work automated by 2055, 10% to 90% in 20 years:

    >>> logistic_share(np.array([2045.0, 2055.0, 2065.0]), 0.5, 2055.0, 20.0).round(3)
    array([0.1, 0.5, 0.9])

    References
    ----------
    McKinsey Global Institute (2017), *Jobs lost, jobs gained*: adoption S-curves.
    """
    k = 2.0 * np.log(9.0) / duration_years
    t0 = target_year - np.log(target_share / (1.0 - target_share)) / k
    return 1.0 / (1.0 + np.exp(-k * (np.asarray(t_years, dtype=float) - t0)))


def adoption_hazard(profitable: np.ndarray, base_hazard: np.ndarray, readiness: np.ndarray,
                    imitation: np.ndarray, adopter_share: np.ndarray) -> np.ndarray:
    """Monthly adoption probability of each firm.

    ``h = 1 - exp(-base * readiness * (1 + imitation * adopter_share))`` for firms for which
    automation pays, 0 otherwise: a Bass (1969) diffusion hazard with an innovation term scaled
    by digital readiness and an imitation term in the share of adopters among peers.

    Parameters
    ----------
    profitable : numpy.ndarray
        Whether automation pays for each firm (bool).
    base_hazard : numpy.ndarray
        Each firm's base monthly rate of adoption.
    readiness : numpy.ndarray
        Digital readiness of each firm's economy (scales the base rate).
    imitation : numpy.ndarray
        Strength of imitation relative to the innovation term.
    adopter_share : numpy.ndarray
        Share of adopters among each firm's peers (0-1).

    Returns
    -------
    numpy.ndarray
        Each firm's probability of adopting this month.

    References
    ----------
    Bass, F. M. (1969). A new product growth model for consumer durables. Management Science
    15(5), 215-227. doi:10.1287/mnsc.15.5.215
    """
    rate = base_hazard * readiness * (1.0 + imitation * adopter_share)
    return np.where(profitable, -np.expm1(-rate), 0.0)


def weighted_pick_per_group(groups: np.ndarray, weights: np.ndarray, counts: np.ndarray,
                            rng: np.random.Generator | None = None,
                            u: np.ndarray | None = None) -> np.ndarray:
    """Pick ``counts[g]`` members of each group without replacement, with chance rising in weight.

    Efraimidis-Spirakis sampling: each member gets the key ``-log(U) / w`` and the members with
    the smallest keys in their group are picked.

    Parameters
    ----------
    groups : numpy.ndarray
        Each member's group (int).
    weights : numpy.ndarray
        Each member's positive weight.
    counts : numpy.ndarray
        How many to pick in each group (indexed by group id).
    rng : numpy.random.Generator, optional
        The generator to draw from, unless ``u`` is given.
    u : numpy.ndarray, optional
        One uniform draw per member, drawn by the caller.

    Returns
    -------
    Boolean mask over members, True for those picked.

    References
    ----------
    Efraimidis, P. S. & Spirakis, P. G. (2006). Weighted random sampling with a reservoir.
    Information Processing Letters 97(5), 181-185. doi:10.1016/j.ipl.2005.11.003
    """
    n = groups.size
    picked = np.zeros(n, dtype=bool)
    if n == 0:
        return picked
    u = rng.random(n) if u is None else u
    keys = -np.log(np.maximum(u, 1e-300)) / np.maximum(weights, 1e-12)
    order = np.lexsort((keys, groups))
    g_sorted = groups[order]
    starts = np.searchsorted(g_sorted, g_sorted, side="left")
    rank = np.arange(n) - starts
    picked[order] = rank < counts[g_sorted]
    return picked


def stochastic_round(x: np.ndarray, rng: np.random.Generator | None = None,
                     u: np.ndarray | None = None) -> np.ndarray:
    """Round each value down or up with chance equal to its fractional part (unbiased).

    The uniform draws come from ``u`` when given, else from ``rng``.

    Parameters
    ----------
    x : numpy.ndarray
        The values.
    rng : numpy.random.Generator, optional
        The generator to draw from, unless ``u`` is given.
    u : numpy.ndarray, optional
        One uniform draw in [0, 1) per value, drawn by the caller.

    Returns
    -------
    numpy.ndarray
        Integers (int64), same shape as ``x``.

    Examples
    --------
    2.25 rounds up when its draw is below 0.25, so on average it stays 2.25:

    >>> stochastic_round(np.array([2.25, 2.25, 2.25, 2.25]), u=np.array([0.1, 0.3, 0.5, 0.9]))
    array([3, 2, 2, 2])
    >>> draws = stochastic_round(np.full(100_000, 2.25), np.random.default_rng(0))
    >>> sorted(set(draws.tolist())), bool(abs(draws.mean() - 2.25) < 0.01)
    ([2, 3], True)
    """
    base = np.floor(x)
    u = rng.random(np.shape(x)) if u is None else u
    return (base + (u < (x - base))).astype(np.int64)


def churn(employment: np.ndarray, vacancies: np.ndarray, target: np.ndarray,
          separation_rate: np.ndarray, opening_rate: np.ndarray, gamma_u: np.ndarray,
          gamma_v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Separations and openings of each firm towards its target demand.

    Follows del Rio-Chanona et al. (2021): a firm above target ``d`` first withdraws open
    vacancies, then lays off a share ``gamma_u`` of its excess; below target it opens a share
    ``gamma_v`` of its shortfall; on top, a share of jobs separate and open at random.

    Parameters
    ----------
    employment : numpy.ndarray
        Each firm's employment (worker agents).
    vacancies : numpy.ndarray
        Each firm's open vacancies.
    target : numpy.ndarray
        Each firm's target demand ``d`` (jobs, in the units of ``employment``).
    separation_rate : numpy.ndarray
        Monthly share of jobs that separate at random.
    opening_rate : numpy.ndarray
        Monthly vacancies opened at random, as a share of employment.
    gamma_u : numpy.ndarray
        Share of the excess over target laid off each month.
    gamma_v : numpy.ndarray
        Share of the shortfall below target opened as vacancies each month.

    Returns
    -------
    separation_prob : per-firm probability that an employee separates this month.
    vacancies : per-firm vacancies after withdrawals and openings.
    openings : per-firm new vacancies (for reporting).

    References
    ----------
    del Rio-Chanona, R. M., Mealy, P., Beguerisse-Diaz, M., Lafond, F. & Farmer, J. D. (2021).
    Occupational mobility and automation: a data-driven network model. J. R. Soc. Interface 18,
    20200898. doi:10.1098/rsif.2020.0898
    """
    excess = employment + vacancies - target
    withdrawn = np.clip(excess, 0.0, vacancies)
    vacancies = vacancies - withdrawn
    over = np.maximum(employment - target, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        layoff_share = np.where(employment > 0, gamma_u * over / employment, 0.0)
    separation_prob = np.clip(separation_rate + (1.0 - separation_rate) * layoff_share, 0.0, 1.0)
    shortfall = np.maximum(target - employment - vacancies, 0.0)
    openings = opening_rate * employment + (1.0 - opening_rate) * gamma_v * shortfall
    return separation_prob, vacancies + openings, openings


def urn_ball_hire_prob(applicants: np.ndarray, vacancies: np.ndarray,
                       efficiency: np.ndarray | float) -> np.ndarray:
    """Chance that one application succeeds when ``a`` applicants meet ``v`` vacancies.

    Each vacancy picks one of the applications it receives at random; with applications spread
    at random, expected hires are ``v (1 - exp(-a / v))`` (the urn-ball matching function), so
    one applicant succeeds with probability ``(v / a)(1 - exp(-a / v))``, scaled by
    ``efficiency``.

    Parameters
    ----------
    applicants : numpy.ndarray
        Applications per market (``a``).
    vacancies : numpy.ndarray
        Vacancies per market (``v``).
    efficiency : numpy.ndarray or float
        Matching efficiency, multiplying the probability.

    Returns
    -------
    numpy.ndarray
        The probability per market, clipped to [0, 1]; 0 where ``a`` or ``v`` is 0.

    Examples
    --------
    As many applicants as vacancies: an application succeeds with chance ``1 - 1/e``; few
    applicants for many vacancies almost surely succeed; no vacancies, no hires:

    >>> q = urn_ball_hire_prob(np.array([100.0, 10.0, 5.0]), np.array([100.0, 1000.0, 0.0]), 1.0)
    >>> q.round(3)
    array([0.632, 0.995, 0.   ])

    References
    ----------
    Petrongolo, B. & Pissarides, C. A. (2001). Looking into the black box: a survey of the
    matching function. J. Econ. Lit. 39(2), 390-431. doi:10.1257/jel.39.2.390
    del Rio-Chanona et al. (2021), doi:10.1098/rsif.2020.0898, use the same urn-ball process.
    """
    a = np.asarray(applicants, dtype=float)
    v = np.asarray(vacancies, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # v tiny: q = v / a
        q = np.where((a > 0) & (v > 0), (v / a) * -np.expm1(-a / np.where(v > 0, v, 1.0)), 0.0)
    return np.clip(q * efficiency, 0.0, 1.0)


def steady_state_vacancies(hires_needed: float, applicants: float, efficiency: float) -> float:
    """Vacancies at which expected urn-ball hires equal ``hires_needed``.

    Solves ``efficiency * V (1 - exp(-A / V)) = H``; hires rise in ``V`` towards
    ``efficiency * A``. If ``H`` is beyond reach, returns ``50 A`` (job finding saturates).

    Parameters
    ----------
    hires_needed : float
        Expected hires wanted (``H``).
    applicants : float
        Applicants (``A``).
    efficiency : float
        Matching efficiency.

    Returns
    -------
    float
        The vacancies ``V``; 0 if ``H`` or ``A`` is not positive.

    Examples
    --------
    The vacancies at which 100 applicants fill 30 jobs (efficiency 0.9), and the check that
    :func:`urn_ball_hire_prob` gives back those 30 hires:

    >>> v = steady_state_vacancies(30.0, 100.0, 0.9)
    >>> round(v, 2), round(float(100.0 * urn_ball_hire_prob(100.0, v, 0.9)), 6)
    (35.44, 30.0)
    """
    if hires_needed <= 0 or applicants <= 0:
        return 0.0
    ceiling = efficiency * applicants
    if hires_needed >= 0.98 * ceiling:
        return 50.0 * applicants

    def gap(v: float) -> float:
        return efficiency * v * -np.expm1(-applicants / v) - hires_needed

    return float(brentq(gap, 1e-9 * applicants, 1e6 * applicants))


def completion_hazard(base_completion: np.ndarray, duration_months: np.ndarray) -> np.ndarray:
    """Monthly dropout hazard that gives ``base_completion`` over ``duration_months``.

    ``h = 1 - p ** (1 / D)``: a constant hazard, so that the chance of finishing is ``p``.

    Parameters
    ----------
    base_completion : numpy.ndarray
        Probability ``p`` of completing the programme (clipped to [1e-9, 1]).
    duration_months : numpy.ndarray
        Programme length ``D``, in months.

    Returns
    -------
    numpy.ndarray
        The monthly dropout probability.
    """
    p = np.clip(base_completion, 1e-9, 1.0)
    return 1.0 - p ** (1.0 / duration_months)


def rank_within_groups(groups: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Rank (0 = first) of each member within its group, ordered by ``keys`` ascending.

    Parameters
    ----------
    groups : numpy.ndarray
        Each member's group (int).
    keys : numpy.ndarray
        Each member's sort key; ties keep the members' order.

    Returns
    -------
    numpy.ndarray
        Each member's rank (int64).
    """
    n = groups.size
    ranks = np.empty(n, dtype=np.int64)
    if n == 0:
        return ranks
    order = np.lexsort((keys, groups))
    g_sorted = groups[order]
    starts = np.searchsorted(g_sorted, g_sorted, side="left")
    ranks[order] = np.arange(n) - starts
    return ranks


def choose_rows(cum_probs: np.ndarray, rows: np.ndarray, rng: np.random.Generator | None = None,
                u: np.ndarray | None = None) -> np.ndarray:
    """Draw one column for each member from its row of a cumulative-probability table.

    The uniform draws come from ``u`` when given, else from ``rng``.

    Parameters
    ----------
    cum_probs : numpy.ndarray
        Cumulative probabilities along each row (``np.cumsum`` of a table of probabilities);
        a draw beyond the last column's value picks the last column.
    rows : numpy.ndarray
        Each member's row of ``cum_probs`` (int).
    rng : numpy.random.Generator, optional
        The generator to draw from, unless ``u`` is given.
    u : numpy.ndarray, optional
        One uniform draw per member, drawn by the caller.

    Returns
    -------
    numpy.ndarray
        Each member's column (int64).
    """
    if rows.size == 0:
        return np.empty(0, dtype=np.int64)
    u = (rng.random(rows.size) if u is None else u)[:, None]
    choice = (u > cum_probs[rows]).sum(axis=1)
    return np.minimum(choice, cum_probs.shape[1] - 1)


def urban_rural_rates(national: float, rural_share: float, rural_ratio: float
                      ) -> tuple[float, float]:
    """Urban and rural rates whose population mix gives the national rate.

    Solves ``(1 - r) u + r (rho u) = national`` for the urban rate ``u``; the rural rate is
    ``rho u``. Rates are capped at 1 (the rural rate then absorbs the rest).

    Parameters
    ----------
    national : float
        The national rate (0-1).
    rural_share : float
        Rural share of the population (``r``).
    rural_ratio : float
        Rural rate relative to the urban rate (``rho``).

    Returns
    -------
    tuple of (float, float)
        The urban and the rural rate.
    """
    u = national / ((1.0 - rural_share) + rural_share * rural_ratio)
    if u <= 1.0:
        return u, rural_ratio * u
    rural = (national - (1.0 - rural_share)) / rural_share if rural_share > 0 else 1.0
    return 1.0, float(np.clip(rural, 0.0, 1.0))


def largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    """Whole counts summing to ``total`` in proportion to ``shares`` (Hamilton's method).

    Used to start the population on the data's sector x occupation mix exactly (up to one
    agent per cell), rather than with sampling noise.

    Parameters
    ----------
    shares : numpy.ndarray
        Non-negative weights (they need not sum to 1).
    total : int
        The total to distribute.

    Returns
    -------
    numpy.ndarray
        The counts (int64); the remainders go to the largest fractional parts, the first on a
        tie.

    Examples
    --------
    >>> largest_remainder(np.array([0.5, 0.3, 0.2]), 7)
    array([4, 2, 1])
    >>> largest_remainder(np.array([1, 1, 1]), 10)
    array([4, 3, 3])
    """
    exact = np.asarray(shares, dtype=float) / np.sum(shares) * total
    counts = np.floor(exact).astype(np.int64)
    short = int(total - counts.sum())
    if short > 0:
        counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


# --------------------------------------------------------------------------------------------
# Drivers, labour demand and wages


def natural_rate_path(years: np.ndarray, unemployment: np.ndarray,
                      window: tuple[int, int] | None, start_year: int, months: int,
                      start_rate: float) -> np.ndarray:
    """Monthly natural rate of unemployment: a line fitted to the observed rate over a window.

    With a window ``(first, last)`` that ends after the start year, the natural rate in the
    years up to ``last`` is the OLS line ``a + b (y - first)`` of the observed annual rate on
    the year over ``first..last``; from ``last`` on it is held at the line's value there. A
    month ``m`` sits at year ``start_year + (m + 0.5) / 12 - 0.5``, so the mean over a year's
    twelve months is the line's value for that year. Without a window, or with one that ends
    at or before the start year, the natural rate is ``start_rate`` throughout: the model does
    not forecast the natural rate.

    The line is a reduced form of what moves the natural rate over a run of years
    (demography, labour-market institutions, formalisation, matching efficiency), none of them
    modelled. It is an in-sample fit to the years it covers, and it sees the years it covers:
    a forecast from the last year of a window does not use it.

    Parameters
    ----------
    years : numpy.ndarray
        Calendar years of ``unemployment``.
    unemployment : numpy.ndarray
        Observed annual unemployment rate (share), NaN where missing.
    window : tuple of (int, int) or None
        First and last year of the fit, inclusive.
    start_year : int
        Calendar year of month 0.
    months : int
        Last month of the path.
    start_rate : float
        The natural rate without a line (the observed rate of the start year).

    Returns
    -------
    numpy.ndarray
        Shape (months + 1,): the natural rate (share), at least 0.001 and at most 0.5.

    Raises
    ------
    ValueError
        If the window holds fewer than five observed years.

    References
    ----------
    Staiger, D., Stock, J. H. & Watson, M. W. (1997). The NAIRU, unemployment and monetary
    policy. Journal of Economic Perspectives 11(1), 33-49. doi:10.1257/jep.11.1.33

    Examples
    --------
    A rate falling by one point a year over 2000-2004, from a run that starts in 2002:

    >>> years = np.arange(2000, 2005)
    >>> path = natural_rate_path(years, 0.08 - 0.01 * (years - 2000), (2000, 2004), 2002, 36,
    ...                          0.06)
    >>> round(float(path[:12].mean()), 4), round(float(path[-1]), 4)
    (0.06, 0.04)
    """
    if window is None or window[1] <= start_year:
        return np.full(months + 1, float(start_rate))
    first, last = window
    years = np.asarray(years)
    u = np.asarray(unemployment, dtype=float)
    inside = (years >= first) & (years <= last) & np.isfinite(u)
    if inside.sum() < 5:
        raise ValueError(f"the natural-rate window {first}-{last} holds "
                         f"{int(inside.sum())} observed years; at least 5 are needed")
    slope, intercept = np.polyfit(years[inside] - first, u[inside], 1)
    t = np.minimum(start_year + (np.arange(months + 1) + 0.5) / 12.0 - 0.5, last)
    return np.clip(intercept + slope * (t - first), 0.001, 0.5)


def holt_potential(log_output: np.ndarray, growth0: float, level_weight: float,
                   growth_weight: float) -> np.ndarray:
    """One-sided potential output: Holt's linear trend on annual log output.

    ``l_t = l_{t-1} + g_{t-1} + a (y_t - l_{t-1} - g_{t-1})`` and
    ``g_t = g_{t-1} + b a (y_t - l_{t-1} - g_{t-1})``, from ``l_0 = y_0`` (the start year is
    taken to be at potential) and ``g_0 = growth0``. Each year's trend uses only that year and
    earlier ones, so a replay of history never looks ahead.

    Parameters
    ----------
    log_output : numpy.ndarray
        Log real output by year, from the start year.
    growth0 : float
        Trend growth (log points a year) before the start.
    level_weight, growth_weight : float
        The smoothing weights ``a`` and ``b``.

    Returns
    -------
    Log potential output by year (same shape as ``log_output``).

    References
    ----------
    Holt, C. C. (2004 [1957]). Forecasting seasonals and trends by exponentially weighted moving
    averages. International Journal of Forecasting 20(1), 5-10.
    doi:10.1016/j.ijforecast.2003.09.015
    """
    y = np.asarray(log_output, dtype=float)
    out = np.empty_like(y)
    level, growth = y[0], growth0
    out[0] = level
    for t in range(1, y.size):
        error = y[t] - level - growth
        level = level + growth + level_weight * error
        growth = growth + growth_weight * level_weight * error
        out[t] = level
    return out


def sector_mix(share0: np.ndarray, income_ratio: np.ndarray | float,
               elasticity: np.ndarray) -> np.ndarray:
    """Sector shares of labour demand as real income per capita changes.

    ``s_j(t) = s_j(0) y(t)^b_j / sum_k s_k(0) y(t)^b_k``, with ``y`` income per capita relative
    to the start and ``b_j`` the income elasticity of sector ``j``'s employment share estimated
    from the economy's own history (``displacement_sim.drivers.income_elasticities``).

    Parameters
    ----------
    share0 : numpy.ndarray
        Sector shares at the start (sectors on the last axis).
    income_ratio : numpy.ndarray or float
        Real income per capita relative to the start (``y``), per economy or a scalar.
    elasticity : numpy.ndarray
        Income elasticity of each sector's share (``b_j``).

    Returns
    -------
    numpy.ndarray
        The shares, summing to 1 along the last axis.

    References
    ----------
    Herrendorf, B., Rogerson, R. & Valentinyi, A. (2014). Growth and structural
    transformation. Handbook of Economic Growth 2, 855-941.
    doi:10.1016/B978-0-444-53540-5.00006-9
    """
    ratio = np.asarray(income_ratio, dtype=float)[..., None]
    raw = share0 * ratio ** elasticity
    return raw / raw.sum(-1, keepdims=True)


def wage_curve_target(unemployment: np.ndarray, reference: np.ndarray,
                      elasticity: np.ndarray) -> np.ndarray:
    """Wage relative to its productivity trend implied by the wage curve.

    ``w / wbar = (u / u*)^(-elasticity)``: pay is lower where unemployment is higher, with an
    elasticity of about 0.1 (Blanchflower & Oswald). ``u*`` is the economy's stationary rate.

    Parameters
    ----------
    unemployment : numpy.ndarray
        The unemployment rate ``u`` (share; floored at 1e-4).
    reference : numpy.ndarray
        The stationary rate ``u*`` (share; floored at 1e-4).
    elasticity : numpy.ndarray
        The wage-curve elasticity.

    Returns
    -------
    numpy.ndarray
        ``w / wbar``.

    References
    ----------
    Blanchflower, D. G. & Oswald, A. J. (1994). The Wage Curve. MIT Press.
    Nijkamp, P. & Poot, J. (2005). The last word on the wage curve? Journal of Economic Surveys
    19(3), 421-450. doi:10.1111/j.0950-0804.2005.00254.x
    """
    u = np.maximum(np.asarray(unemployment, dtype=float), 1e-4)
    return (u / np.maximum(reference, 1e-4)) ** -np.asarray(elasticity)


def partial_adjustment(current: np.ndarray, target: np.ndarray, months: np.ndarray
                       ) -> np.ndarray:
    """Move ``current`` a share ``1 - exp(-1 / months)`` of the way to ``target`` (one month).

    Parameters
    ----------
    current : numpy.ndarray
        The current values.
    target : numpy.ndarray
        The values adjusted towards.
    months : numpy.ndarray
        The adjustment time constant, in months.

    Returns
    -------
    numpy.ndarray
        The values a month later.
    """
    return current + (target - current) * -np.expm1(-1.0 / np.asarray(months))


def productivity_effect(automated: np.ndarray, cost_saving: np.ndarray,
                        labour_cost_share: np.ndarray, price_elasticity: np.ndarray
                        ) -> np.ndarray:
    """Rise in a sector's labour demand, as a share of it, when part of its work is automated.

    Automating a share ``a`` of the work at a cost saving ``s`` per unit of wage cost replaced
    lowers unit cost by ``labour_cost_share * a * s``; with competitive pricing the price falls
    by as much and demand, and so labour demand, rises by ``price_elasticity`` times that.

    Parameters
    ----------
    automated : numpy.ndarray
        Share ``a`` of the work automated (0-1).
    cost_saving : numpy.ndarray
        Cost saving ``s`` per unit of wage cost replaced.
    labour_cost_share : numpy.ndarray
        Labour's share of unit cost.
    price_elasticity : numpy.ndarray
        Price elasticity of demand (positive).

    Returns
    -------
    numpy.ndarray
        The rise in labour demand, as a share of it.

    References
    ----------
    Acemoglu, D. & Restrepo, P. (2019). Automation and new tasks: how technology displaces and
    reinstates labor. Journal of Economic Perspectives 33(2), 3-30. doi:10.1257/jep.33.2.3
    Bessen, J. (2019). Automation and jobs: when technology boosts employment. Economic Policy
    34(100), 589-626. doi:10.1093/epolic/eiaa001
    """
    return price_elasticity * labour_cost_share * automated * cost_saving


# --------------------------------------------------------------------------------------------
# Labour force


def ageing_probability(band_years: np.ndarray) -> np.ndarray:
    """Monthly chance of moving to the next age band, ages spread evenly within each band.

    Parameters
    ----------
    band_years : numpy.ndarray
        Width of each age band, in years (infinite for the open top band).

    Returns
    -------
    numpy.ndarray
        ``1 / (12 * width)``; 0 for an infinite band.
    """
    years = np.asarray(band_years, dtype=float)
    return np.where(np.isfinite(years), 1.0 / (12.0 * years), 0.0)


def okun_elasticity(log_output: np.ndarray, unemployment: np.ndarray, growth0: float,
                    level_weight: float, growth_weight: float, bounds: tuple[float, float]
                    ) -> float:
    """Okun elasticity estimated from an economy's own annual history (difference form).

    The output gap is ``log Y - log Y*`` with ``Y*`` from :func:`holt_potential` (one-sided, so
    the estimate uses no year after the last one given). The elasticity is minus the OLS slope
    of the yearly change in the unemployment rate on the yearly change in the gap, with an
    intercept, clipped to ``bounds``. Years before the first with both series are dropped;
    with fewer than six years left, or a gap after them, it is the lower bound.

    Parameters
    ----------
    log_output : numpy.ndarray
        Log real output by year.
    unemployment : numpy.ndarray
        The unemployment rate in the same years.
    growth0 : float
        Trend growth (log points a year) before the first year, for :func:`holt_potential`.
    level_weight, growth_weight : float
        The smoothing weights of :func:`holt_potential`.
    bounds : tuple of (float, float)
        The lower and upper bound of the elasticity.

    Returns
    -------
    float
        The elasticity.

    References
    ----------
    Okun, A. M. (1962). Potential GNP: its measurement and significance. Proceedings of the
    Business and Economic Statistics Section, American Statistical Association, 98-104.
    Ball, L., Leigh, D. & Loungani, P. (2017). Okun's law: fit at 50? Journal of Money, Credit
    and Banking 49(7), 1413-1441. doi:10.1111/jmcb.12420
    """
    y = np.asarray(log_output, dtype=float)
    u = np.asarray(unemployment, dtype=float)
    ok = np.isfinite(y) & np.isfinite(u)
    if ok.sum() < 6 or not ok.all():
        first = int(np.argmax(ok))
        y, u = y[first:], u[first:]
        ok = np.isfinite(y) & np.isfinite(u)
        if ok.sum() < 6 or not ok.all():
            return float(bounds[0])
    gap = y - holt_potential(y, growth0, level_weight, growth_weight)
    dg, du = np.diff(gap), np.diff(u)
    dg = dg - dg.mean()
    denom = float(dg @ dg)
    if denom <= 0:
        return float(bounds[0])
    slope = float(dg @ (du - du.mean())) / denom
    return float(np.clip(-slope, *bounds))
