"""Staff web pages of jikimi.takedown."""

from fastapi import APIRouter

router = APIRouter()
