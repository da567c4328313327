"""Analysis: pure functions, DataFrames in and out."""
