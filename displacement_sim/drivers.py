"""Exogenous drivers from an economy's history: pure functions, no file I/O.

The functions take an :class:`~displacement_sim.data.EconomyHistory` (read by
:func:`displacement_sim.data.load_history`) and return arrays:

- :func:`income_elasticities`: the income elasticity of each sector's employment share, the slope
  that drives structural change in the model;
- :func:`observed_history`: the history as a forecast from an origin year sees it, every later
  year not observed (an ex-ante forecast);
- :func:`annual_paths`: the yearly paths of the labour force, participation and real output
  from a start year, taken from the data where it exists and extended by stated rules after it;
- :func:`monthly`: log-linear interpolation of a yearly path to months.

Every rule is stated in its function's docstring; nothing is filled silently.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from numbers import Integral, Real

import numpy as np

from displacement_sim.data import EconomyHistory

__all__ = [
    "GDP_TREND_YEARS",
    "MIN_ELASTICITY_POINTS",
    "AnnualPaths",
    "annual_paths",
    "income_elasticities",
    "monthly",
    "observed_history",
]

MIN_ELASTICITY_POINTS = 5
"""Fewest years with data for which :func:`income_elasticities` estimates a slope."""

GDP_TREND_YEARS = 10
"""Observed years whose mean log growth extends real GDP past the data (:func:`annual_paths`)."""


@dataclass(frozen=True, eq=False)
class AnnualPaths:
    """Yearly driver paths of one economy from a start year (see :func:`annual_paths`).

    Arrays are read-only, with years on axis 0; sex order
    :data:`~displacement_sim.constants.SEXES` (F, M), age order
    :data:`~displacement_sim.constants.AGE_GROUPS` ("15-24", "25-54", "55-64", "65+").

    Attributes
    ----------
    years : numpy.ndarray
        Shape (n,), int: ``start_year`` to ``start_year + years`` inclusive.
    labour_force : numpy.ndarray
        Shape (n, 2, 4): labour force by sex and age band, persons.
    participation : numpy.ndarray
        Shape (n, 2): labour-force participation rate 15+ by sex, fraction.
    real_gdp : numpy.ndarray
        Shape (n,): real GDP relative to the start year (1.0 at ``start_year``).
    real_gdp_per_capita : numpy.ndarray
        Shape (n,): real GDP per capita relative to the start year (1.0 at ``start_year``).
    projected : numpy.ndarray
        Shape (n,), bool: the year is after the history's ``last_observed_year`` (or after
        ``observed_until``, if earlier), so its values are ILO projections or nowcasts (data)
        or this module's extrapolation.
    """

    years: np.ndarray
    labour_force: np.ndarray
    participation: np.ndarray
    real_gdp: np.ndarray
    real_gdp_per_capita: np.ndarray
    projected: np.ndarray


def _readonly(array: np.ndarray, dtype: type = float) -> np.ndarray:
    out = np.array(array, dtype=dtype)
    out.setflags(write=False)
    return out


def _integer(value: object, name: str, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be at least {low}, got {value}")
    return value


def _growth(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number (annual fraction), got {value!r}")
    if value <= -1.0:
        raise ValueError(f"{name} must be above -1 (an annual fraction), got {value!r}")
    return float(value)


def _run(ok: np.ndarray, k: int) -> tuple[int, int]:
    """First and last index of the run of ``True`` in ``ok`` that contains index ``k``."""
    first = k
    while first > 0 and ok[first - 1]:
        first -= 1
    last = k
    while last + 1 < ok.size and ok[last + 1]:
        last += 1
    return first, last


def income_elasticities(
    history: EconomyHistory, until_year: int, since_year: int = 1991
) -> tuple[np.ndarray, np.ndarray]:
    """Income elasticity of each sector's employment share, by OLS on the economy's history.

    For each sector ``j``, the OLS fit, with intercept, of

    ``log s_j(t) = a_j + b_j log y(t) + e_j(t)``

    over the years ``since_year <= t <= until_year`` in which both the employment share
    ``s_j(t)`` (``history.employment_shares``) and real GDP per capita ``y(t)``
    (``history.real_gdp_per_capita``, an index: its base does not change ``b_j``) are known.
    ``b_j`` is the elasticity of the sector's share with respect to income per capita: negative
    for agriculture as income grows, positive for most services (the structural transformation
    of Herrendorf, Rogerson and Valentinyi, 2014). Its standard error is the usual OLS one,
    ``sqrt(RSS / (m - 2) / sum (x - mean x)^2)`` over the ``m`` points.

    A sector gets slope 0 and standard error NaN when its share is zero in any of the years, when
    fewer than :data:`MIN_ELASTICITY_POINTS` (5) years have data, or when income per capita does
    not vary over them. The years after ``history.last_observed_year`` are ILO projections; they
    are used if ``until_year`` includes them.

    Parameters
    ----------
    history : EconomyHistory
        The economy's history.
    until_year : int
        Last year of the fit (inclusive).
    since_year : int, default 1991
        First year of the fit (inclusive).

    Returns
    -------
    slope : numpy.ndarray
        Shape (14,): ``b_j``, in :data:`~displacement_sim.constants.SECTORS` order.
    standard_error : numpy.ndarray
        Shape (14,): the OLS standard error of ``b_j`` (NaN where the slope was set to 0; 0 when
        the fit is exact).

    Raises
    ------
    ValueError
        If a year is not an integer, or ``since_year > until_year``.

    References
    ----------
    Herrendorf, B., Rogerson, R. and Valentinyi, A. (2014). Growth and structural
    transformation. In P. Aghion and S. N. Durlauf (eds.), Handbook of Economic Growth, vol. 2,
    855-941. Elsevier. doi:10.1016/B978-0-444-53540-5.00006-9
    """
    until_year = _integer(until_year, "until_year")
    since_year = _integer(since_year, "since_year")
    if since_year > until_year:
        raise ValueError(
            f"since_year ({since_year}) is after until_year ({until_year}); expected a window of "
            f"years to fit"
        )
    years = np.asarray(history.years)
    shares = np.asarray(history.employment_shares, dtype=float)
    income = np.asarray(history.real_gdp_per_capita, dtype=float)
    window = (years >= since_year) & (years <= until_year) & np.isfinite(income) & (income > 0)
    n_sectors = shares.shape[1]
    slope = np.zeros(n_sectors)
    standard_error = np.full(n_sectors, np.nan)
    for j in range(n_sectors):
        use = window & np.isfinite(shares[:, j])
        m = int(use.sum())
        if m < MIN_ELASTICITY_POINTS or (shares[use, j] <= 0).any():
            continue
        x = np.log(income[use])
        y = np.log(shares[use, j])
        xc = x - x.mean()
        sxx = float(xc @ xc)
        if not sxx > 0:
            continue
        yc = y - y.mean()
        b = float(xc @ yc) / sxx
        residual = yc - b * xc
        slope[j] = b
        standard_error[j] = np.sqrt(float(residual @ residual) / (m - 2) / sxx)
    return slope, standard_error


def observed_history(history: EconomyHistory, until_year: int | None) -> EconomyHistory:
    """The history as a forecast made at the end of ``until_year`` sees it (ex ante).

    Every yearly value of a later year (labour force, participation, real GDP and GDP per
    capita, employment shares, unemployment) becomes NaN, as a year the data do not have, and
    ``last_observed_year`` becomes ``min(last_observed_year, until_year)``: whatever reads the
    result, :func:`annual_paths` among them, cannot see a later year, and extends each series
    past ``until_year`` by the rules it applies past the data. ``years`` is kept.

    Parameters
    ----------
    history : EconomyHistory
        The economy's history.
    until_year : int or None
        The last year seen (the forecast origin). ``None``, or a year at or after both the
        history's last year and its ``last_observed_year``, returns ``history`` itself.

    Returns
    -------
    EconomyHistory
        The history with read-only arrays; ``history`` itself when nothing is cut.

    Raises
    ------
    ValueError
        If ``until_year`` is not an integer.

    Examples
    --------
    >>> from displacement_sim.data import load_history
    >>> h = observed_history(load_history("VNM"), 2015)
    >>> h.last_observed_year, bool(np.isnan(h.real_gdp[h.years > 2015]).all())
    (2015, True)
    """
    if until_year is None:
        return history
    until_year = _integer(until_year, "until_year")
    years = np.asarray(history.years)
    if until_year >= max(int(years.max()), history.last_observed_year):
        return history
    later = years > until_year
    cut: dict[str, object] = {"last_observed_year": min(history.last_observed_year, until_year)}
    for f in fields(history):
        value = getattr(history, f.name)
        if f.name != "years" and isinstance(value, np.ndarray) and value.ndim \
                and value.shape[0] == years.size:
            masked = np.array(value, dtype=float)
            masked[later] = np.nan
            cut[f.name] = _readonly(masked)
    return replace(history, **cut)


def annual_paths(
    history: EconomyHistory,
    start_year: int,
    years: int,
    *,
    gdp_growth: float | None = None,
    labour_force_growth: float | None = None,
    flat: bool = False,
    projection_years: int = 5,
    observed_until: int | None = None,
) -> AnnualPaths:
    """Yearly driver paths from ``start_year`` over ``years`` years: data first, then rules.

    Each path takes the history's values for as long as the data run on without a gap from
    ``start_year`` (the ILOEST labour force to 2027, its years after ``last_observed_year`` being
    ILO projections; participation to 2025; real GDP to 2024 in the shipped data). After the
    last year of that run (year ``T`` of each series):

    - **Labour force.** Every sex x age cell grows at ``labour_force_growth`` (annual fraction,
      the same for all cells) if given; otherwise each cell at its own mean annual log growth
      over the last ``projection_years`` years of data,
      ``g = (log L(T) - log L(T - p)) / p`` (fewer years if the data are shorter; a cell that is
      zero at either end stays constant).
    - **Real GDP** grows at ``gdp_growth`` (annual fraction) if given; otherwise at its mean annual
      log growth over the last 10 observed years, ``(log Y(T') - log Y(T' - 10)) / 10`` with
      ``T' = min(T, last_observed_year)`` (fewer years if the data are shorter). This is an
      extrapolation, not a forecast.
    - **Real GDP per capita** is GDP over population, with the population (15+) assumed to grow
      as the 15+ labour force (the sum of the cells): past its last data year ``T``,
      ``y(t) = y(T) [Y(t) / Y(T)] / [L(t) / L(T)]``. The assumption ignores changes in
      participation and in the share of under-15s, which is consistent with participation being
      held constant past the data.
    - **Participation** is held at its last value.

    With ``observed_until`` (an ex-ante forecast from that origin) the years after it are
    treated as years without data (:func:`observed_history`): each series ends at
    ``T = min(T, observed_until)``, so the labour-force and GDP windows above end there too,
    and participation is held at its value of that year. It must be at least ``start_year``.

    With ``flat=True`` every path stays at its ``start_year`` value (real GDP and GDP per capita
    at 1.0): a stationary economy. ``projected`` marks the years after
    ``history.last_observed_year`` (or after ``observed_until`` if earlier) whatever their
    origin.

    Parameters
    ----------
    history : EconomyHistory
        The economy's history.
    start_year : int
        First year of the paths; it must have labour force, participation and real GDP data.
    years : int
        Number of years after ``start_year`` (the paths have ``years + 1`` points).
    gdp_growth : float, optional
        Annual real GDP growth after the data, as a fraction (0.05 = 5%).
    labour_force_growth : float, optional
        Annual growth of every labour-force cell after the data, as a fraction.
    flat : bool, default False
        Hold every path at its start-year value.
    projection_years : int, default 5
        Years of data whose mean log growth extends each labour-force cell.
    observed_until : int, optional
        Last year of the data the paths may use (default: every year).

    Returns
    -------
    AnnualPaths
        The paths, with read-only arrays.

    Raises
    ------
    ValueError
        If ``start_year`` is outside the history or has no labour force, participation or real
        GDP data; if ``years`` or ``projection_years`` is not a non-negative (positive) integer;
        if ``observed_until`` is not an integer or is before ``start_year``; if a growth rate
        is not a finite number above -1; or if a series must be extended but has only one year
        of data to estimate its growth from.

    References
    ----------
    ILO (2025). ILOSTAT, ILO modelled estimates (ILOEST), Nov. 2025 edition, EAP_2EAP_SEX_AGE_NB
    (labour force by sex and age; projections to 2027).

    World Bank (2026). World Development Indicators (NY.GDP.PCAP.KD.ZG, SP.POP.TOTL,
    SL.TLF.CACT.FE.ZS, SL.TLF.CACT.MA.ZS).
    """
    start_year = _integer(start_year, "start_year")
    years = _integer(years, "years", low=0)
    projection_years = _integer(projection_years, "projection_years", low=1)
    gdp_growth = _growth(gdp_growth, "gdp_growth")
    labour_force_growth = _growth(labour_force_growth, "labour_force_growth")
    if observed_until is not None:
        observed_until = _integer(observed_until, "observed_until")
        if observed_until < start_year:
            raise ValueError(
                f"observed_until ({observed_until}) is before start_year ({start_year}): a run "
                f"starts from the data of its start year, so it must see them"
            )
        history = observed_history(history, observed_until)

    hist_years = np.asarray(history.years)
    if start_year not in hist_years:
        raise ValueError(
            f"start_year {start_year} is outside the history of {history.iso3} "
            f"({hist_years[0]}-{hist_years[-1]})"
        )
    k = int(np.flatnonzero(hist_years == start_year)[0])
    lf_hist = np.asarray(history.labour_force, dtype=float)
    part_hist = np.asarray(history.participation, dtype=float)
    gdp_hist = np.asarray(history.real_gdp, dtype=float)
    pc_hist = np.asarray(history.real_gdp_per_capita, dtype=float)
    lf_ok = np.isfinite(lf_hist).reshape(hist_years.size, -1).all(axis=1)
    part_ok = np.isfinite(part_hist).all(axis=1)
    gdp_ok = np.isfinite(gdp_hist) & (gdp_hist > 0)
    pc_ok = np.isfinite(pc_hist) & (pc_hist > 0)
    for name, ok in (
        ("labour force", lf_ok),
        ("participation", part_ok),
        ("real GDP", gdp_ok),
        ("real GDP per capita", pc_ok),
    ):
        if not ok[k]:
            have = hist_years[ok]
            span = f"{have.min()}-{have.max()}" if have.size else "none"
            raise ValueError(
                f"no {name} data for {history.iso3} in start_year {start_year} (years with "
                f"data: {span}); choose a start year with data"
            )

    out_years = np.arange(start_year, start_year + years + 1)
    n = out_years.size
    projected = out_years > history.last_observed_year
    if flat:
        return AnnualPaths(
            years=_readonly(out_years, dtype=int),
            labour_force=_readonly(np.broadcast_to(lf_hist[k], (n, *lf_hist.shape[1:]))),
            participation=_readonly(np.broadcast_to(part_hist[k], (n, part_hist.shape[1]))),
            real_gdp=_readonly(np.ones(n)),
            real_gdp_per_capita=_readonly(np.ones(n)),
            projected=_readonly(projected, dtype=bool),
        )

    steps = np.arange(n)  # out index i is history index k + i
    # Labour force.
    first, last = _run(lf_ok, k)
    lf = np.empty((n, *lf_hist.shape[1:]))
    inside = k + steps <= last
    lf[inside] = lf_hist[k + steps[inside]]
    if (~inside).any():
        if labour_force_growth is not None:
            g = np.full(lf_hist.shape[1:], np.log1p(labour_force_growth))
        else:
            lo = max(first, last - projection_years)
            if lo == last:
                raise ValueError(
                    f"labour force of {history.iso3} has one year of data ({hist_years[last]}): "
                    f"no growth to extend it with; pass labour_force_growth"
                )
            a, b = lf_hist[lo], lf_hist[last]
            g = np.zeros(lf_hist.shape[1:])
            both = (a > 0) & (b > 0)
            g[both] = (np.log(b[both]) - np.log(a[both])) / (last - lo)
        ahead = (k + steps[~inside] - last).astype(float)
        lf[~inside] = lf_hist[last] * np.exp(ahead[:, None, None] * g)

    # Participation: data, then its last value.
    _, last = _run(part_ok, k)
    part = part_hist[np.minimum(k + steps, last)]

    # Real GDP.
    first, last = _run(gdp_ok, k)
    gdp = np.empty(n)
    inside = k + steps <= last
    gdp[inside] = gdp_hist[k + steps[inside]] / gdp_hist[k]
    if (~inside).any():
        if gdp_growth is not None:
            g_gdp = float(np.log1p(gdp_growth))
        else:
            observed = np.flatnonzero(hist_years <= history.last_observed_year)
            top = min(last, int(observed[-1])) if observed.size else last
            lo = max(first, top - GDP_TREND_YEARS)
            if top <= lo:
                raise ValueError(
                    f"real GDP of {history.iso3} has no observed growth to extend it with "
                    f"(data {hist_years[first]}-{hist_years[last]}); pass gdp_growth"
                )
            g_gdp = float(np.log(gdp_hist[top] / gdp_hist[lo]) / (top - lo))
        ahead = (k + steps[~inside] - last).astype(float)
        gdp[~inside] = gdp_hist[last] / gdp_hist[k] * np.exp(g_gdp * ahead)

    # Real GDP per capita: data, then GDP over a population growing as the 15+ labour force.
    _, last = _run(pc_ok, k)
    pc = np.empty(n)
    inside = k + steps <= last
    pc[inside] = pc_hist[k + steps[inside]] / pc_hist[k]
    if (~inside).any():
        anchor = last - k  # out index of the last data year (< n, since some years are past it)
        total = lf.reshape(n, -1).sum(axis=1)
        pc[~inside] = (
            pc[anchor] * (gdp[~inside] / gdp[anchor]) / (total[~inside] / total[anchor])
        )

    return AnnualPaths(
        years=_readonly(out_years, dtype=int),
        labour_force=_readonly(lf),
        participation=_readonly(part),
        real_gdp=_readonly(gdp),
        real_gdp_per_capita=_readonly(pc),
        projected=_readonly(projected, dtype=bool),
    )


def monthly(values_by_year: np.ndarray, months: int) -> np.ndarray:
    """Log-linear (geometric) interpolation of a yearly path to months 0..``months``.

    The value for year index ``k`` (axis 0) sits at month ``12 k``. Month ``m = 12 k + r``
    (``0 <= r < 12``) gets ``v_k (v_{k+1} / v_k)^(r / 12)``: exactly ``v_k`` at year points and a
    constant monthly growth factor in between. A cell that is zero at both ends of a year stays
    zero.

    Parameters
    ----------
    values_by_year : numpy.ndarray
        Shape (n_years, ...): non-negative, finite values, years on axis 0.
    months : int
        Last month; at most ``12 (n_years - 1)``.

    Returns
    -------
    numpy.ndarray
        Shape (months + 1, ...).

    Raises
    ------
    ValueError
        If ``months`` is negative or beyond the last year, the array has no year axis, or a
        value is negative, not finite, or zero at one end of a year and positive at the other
        (no geometric path between them).

    Examples
    --------
    A path growing 21% in a year grows 10% in its first six months; a zero cell stays zero:

    >>> path = monthly(np.array([[100.0, 0.0], [121.0, 0.0]]), 12)
    >>> path.shape, path[[0, 6, 12]].round(6).tolist()
    ((13, 2), [[100.0, 0.0], [110.0, 0.0], [121.0, 0.0]])
    """
    values = np.asarray(values_by_year, dtype=float)
    months = _integer(months, "months", low=0)
    if values.ndim == 0 or values.shape[0] == 0:
        raise ValueError("values_by_year must have a year axis (axis 0) with at least one year")
    n_years = values.shape[0]
    if months > 12 * (n_years - 1):
        raise ValueError(
            f"months ({months}) is beyond the last year of the path (at most "
            f"{12 * (n_years - 1)} for {n_years} years)"
        )
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("values_by_year must be finite and non-negative for log interpolation")
    step = np.arange(months + 1)
    k = step // 12
    fraction = ((step % 12) / 12.0).reshape(-1, *([1] * (values.ndim - 1)))
    low = values[k]
    high = values[np.minimum(k + 1, n_years - 1)]
    used = fraction > 0
    if ((low == 0) != (high == 0))[np.broadcast_to(used, low.shape)].any():
        raise ValueError(
            "values_by_year is zero at one end of a year and positive at the other: no "
            "log-linear path between them"
        )
    ratio = np.ones_like(low)
    np.divide(high, low, out=ratio, where=low > 0)
    return low * ratio**fraction
