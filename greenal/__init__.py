"""greenal: carbon footprint of aluminium, from bauxite to ingot, under the standards that apply."""
from importlib.metadata import PackageNotFoundError, version

from greenal.api import DEFAULT_GWP, declaration_footprint, engine, footprint, processes, read_declaration, routes
from greenal.errors import DataError, GreenalError, InputError, MissingTool, RegistryError, StandardsError

try:
    __version__ = version("greenal")
except PackageNotFoundError:  # a checkout that was never installed
    __version__ = "0+checkout"

__all__ = ["DEFAULT_GWP", "DataError", "GreenalError", "InputError", "MissingTool", "RegistryError", "StandardsError",
           "__version__", "declaration_footprint", "engine", "footprint", "processes", "read_declaration", "routes"]
