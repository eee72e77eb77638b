"""Reading and measuring uploaded 3D models (STL binary/ASCII, 3MF): pure functions over a local file."""

from system.mesh.errors import CODES, InvalidModel
from system.mesh.geometry import Triangles
from system.mesh.stl import load_stl
from system.mesh.summary import MeshChecks, MeshSummary, summarize
from system.mesh.threemf import load_3mf
from system.mesh.validate import load_model, validate_model

__all__ = [
    "CODES",
    "InvalidModel",
    "MeshChecks",
    "MeshSummary",
    "Triangles",
    "load_3mf",
    "load_model",
    "load_stl",
    "summarize",
    "validate_model",
]
