"""Classifications shared by the data loader, the config and the model.

The sector groups are ILOSTAT's ISIC Rev.4 section groups (ILOEST ``ECO_DETAILS``); the occupation
groups are ILOSTAT's ISCO-08 major groups (ILOEST ``OCU_DETAILS``), where ``96`` is ISCO 6 and 9
combined, as ILOEST publishes them.
"""

ECONOMIES: tuple[str, ...] = (
    "BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM", "USA",
)
"""ISO3 codes of the eleven economies, in the order the model indexes them."""

ECONOMY_NAMES: dict[str, str] = {
    "BRN": "Brunei Darussalam",
    "KHM": "Cambodia",
    "IDN": "Indonesia",
    "LAO": "Lao PDR",
    "MYS": "Malaysia",
    "MMR": "Myanmar",
    "PHL": "Philippines",
    "SGP": "Singapore",
    "THA": "Thailand",
    "VNM": "Viet Nam",
    "USA": "United States",
}

ASEAN: tuple[str, ...] = tuple(e for e in ECONOMIES if e != "USA")

SECTORS: tuple[str, ...] = (
    "A", "B", "C", "DE", "F", "G", "HJ", "I", "K", "LMN", "O", "P", "Q", "RSTU",
)
"""ISIC Rev.4 section groups, as in ILOEST ``EMP_2EMP_SEX_ECO_NB``."""

SECTOR_NAMES: dict[str, str] = {
    "A": "Agriculture, forestry, fishing",
    "B": "Mining and quarrying",
    "C": "Manufacturing",
    "DE": "Utilities",
    "F": "Construction",
    "G": "Wholesale and retail trade",
    "HJ": "Transport, information and communication",
    "I": "Accommodation and food",
    "K": "Finance and insurance",
    "LMN": "Real estate and business services",
    "O": "Public administration",
    "P": "Education",
    "Q": "Health and social work",
    "RSTU": "Other services",
}

OCCUPATIONS: tuple[str, ...] = ("1", "2", "3", "4", "5", "7", "8", "96")
"""ISCO-08 major groups as ILOEST publishes them (``96`` = groups 6 and 9 together)."""

OCCUPATION_NAMES: dict[str, str] = {
    "1": "Managers",
    "2": "Professionals",
    "3": "Technicians and associate professionals",
    "4": "Clerical support workers",
    "5": "Service and sales workers",
    "7": "Craft and related trades workers",
    "8": "Plant and machine operators",
    "96": "Skilled agricultural and elementary occupations",
}

SKILL_LEVELS: tuple[str, ...] = ("low", "medium", "high")
"""Model skill levels: ISCO-08 skill level 1 (low), 2 (medium), 3 and 4 (high)."""

# Employment status codes of a worker agent.
EMPLOYED, UNEMPLOYED, TRAINING, OUT_OF_LABOUR_FORCE, OUTSIDE_POPULATION = 0, 1, 2, 3, 4
STATUSES: tuple[str, ...] = ("employed", "unemployed", "training", "out_of_labour_force",
                             "outside_population")
"""``out_of_labour_force``: of working age (15+) and inactive. ``outside_population``: a spare
row, not (yet) part of the working-age population (it enters as the population grows)."""

# Default start year: ILOEST and WDI values for 2024-2025 are ILO projections (SOURCES.md).
LATEST_OBSERVED_YEAR = 2023

SEXES: tuple[str, ...] = ("F", "M")
"""Sexes as ILOEST codes them (female, male)."""

AGE_GROUPS: tuple[str, ...] = ("15-24", "25-54", "55-64", "65+")
"""ILOEST's aggregate age bands of the labour force (EAP_2EAP_SEX_AGE_NB)."""

AGE_BAND_YEARS: tuple[float, ...] = (10.0, 30.0, 10.0, float("inf"))
"""Width of each age band in years (65+ is open)."""
