"""Photos customers send as evidence: what we accept, and the signed links to send them."""

from bot.photos.cleaning import CleanPhoto, PhotoRefused, Refusal, clean_photo
from bot.photos.links import LINK_TTL, subject_of_link, upload_link, upload_token

__all__ = [
    "LINK_TTL",
    "CleanPhoto",
    "PhotoRefused",
    "Refusal",
    "clean_photo",
    "subject_of_link",
    "upload_link",
    "upload_token",
]
