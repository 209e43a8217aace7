"""The web shell: ``create_app`` builds the FastAPI application; routers live in one module per concern."""

from kg.web.app import create_app

__all__ = ["create_app"]
