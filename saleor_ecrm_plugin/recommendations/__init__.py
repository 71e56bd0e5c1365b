"""Product recommendations learned from the shop's orders ("frequently bought
together", with bestseller fallbacks). Programs call :func:`recommend_for`; Celery
keeps the model current with :func:`update_model` and :func:`rebuild_model`."""

from .building import MIN_SUPPORT, ModelStats, rebuild_model, update_model
from .lookup import Reason, Recommendation, recommend_for

__all__ = [
    "MIN_SUPPORT",
    "ModelStats",
    "Reason",
    "Recommendation",
    "rebuild_model",
    "recommend_for",
    "update_model",
]
