"""JSON API of jikimi.investigation."""

from fastapi import APIRouter

router = APIRouter()
