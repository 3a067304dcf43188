"""JSON API of jikimi.partners."""

from fastapi import APIRouter

router = APIRouter()
