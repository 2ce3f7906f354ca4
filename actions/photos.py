"""Asking for photos of a problem the shop pays for: a defect, a wrong item, transit damage.

The web widget uploads in place (a button carrying the link's token); every other channel
gets the upload page's link in the text. Without UPLOAD_LINK_SECRET there is no link, and
the customer is asked to keep the photos for the agent who reviews the application.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.photos import LINK_TTL
from bot.services.photos import link_token, photo_link
from bot.store.repository import MAX_PHOTOS

WIDGET_CHANNEL = "web"


async def ask_for_photos(dispatcher: CollectingDispatcher, tracker: Tracker, subject: str) -> None:
    """Ask for photos of application `subject`, in the way the customer's channel allows."""
    values = {"valid_days": LINK_TTL.days, "max_photos": MAX_PHOTOS}
    if tracker.get_latest_input_channel() == WIDGET_CHANNEL:
        token = link_token(subject)
        if token:
            dispatcher.utter_message(response="utter_photo_request_widget", **values)
            dispatcher.utter_message(json_message={"photo_upload": {"token": token}})
            return
    link = photo_link(subject)
    if link:
        dispatcher.utter_message(response="utter_photo_request_link", upload_link=link, **values)
    else:
        dispatcher.utter_message(response="utter_photo_keep_for_review")
