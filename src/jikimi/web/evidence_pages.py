"""Staff web pages of jikimi.evidence."""

from fastapi import APIRouter

router = APIRouter()
