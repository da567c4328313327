"""The interactive dashboard: policy levers as model keywords, and a Mesa SolaraViz page.

:mod:`displacement_sim.app.levers` declares the levers (config path, label, bounds, unit) and
turns keyword values into a scenario; it needs only the core package.
:mod:`displacement_sim.app.dashboard` is the SolaraViz page (``displacement-sim dashboard``);
it needs Mesa's ``viz`` extra (solara). The model and the workflows never import this package.
"""
