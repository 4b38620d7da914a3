"""greenal: carbon footprint of aluminium, from bauxite to ingot, under the standards that apply."""
from greenal.api import DEFAULT_GWP, engine, footprint, processes, routes
from greenal.errors import InputError

__all__ = ["DEFAULT_GWP", "InputError", "engine", "footprint", "processes", "routes"]
