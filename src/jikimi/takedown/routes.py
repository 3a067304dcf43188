"""JSON API of jikimi.takedown."""

from fastapi import APIRouter

router = APIRouter()
