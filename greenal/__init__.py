"""greenal: carbon footprint of aluminium, from bauxite to ingot, under the standards that apply."""
from greenal.api import DEFAULT_GWP, declaration_footprint, engine, footprint, processes, read_declaration, routes
from greenal.errors import InputError

__all__ = ["DEFAULT_GWP", "InputError", "declaration_footprint", "engine", "footprint", "processes", "read_declaration",
           "routes"]
