"""Staff web pages of jikimi.investigation."""

from fastapi import APIRouter

router = APIRouter()
