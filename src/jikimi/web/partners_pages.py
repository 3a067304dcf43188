"""Staff web pages of jikimi.partners."""

from fastapi import APIRouter

router = APIRouter()
