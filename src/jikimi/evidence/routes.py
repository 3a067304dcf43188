"""JSON API of jikimi.evidence."""

from fastapi import APIRouter

router = APIRouter()
