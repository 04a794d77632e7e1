"""Telegram albums (media groups). Several photos sent at once reach the bot as one message each, sharing a
``media_group_id``; Telegram's apps put the album's caption on its first photo. A member who captions an album
``/imagine …`` expects one job from the captioned picture — not one answer per photo, and certainly not "send it
again with a caption" for the photos that carry none. So the captioned picture is the input (the member is told,
once, that the others were left out), and the album's other photos are passed over in silence. An album with no
caption at all is answered once, by its first photo, after a moment's wait for a caption that may still be on
its way (the album's messages arrive within milliseconds of each other, in any order once updates run
concurrently)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from dataclasses import dataclass, field

CAPTION_GRACE_S = 1.0  # how long a captionless album photo waits for a captioned sibling before asking for one
REMEMBERED = 1000  # albums kept in memory (only the last few seconds' matter); the oldest are forgotten first


@dataclass
class _Album:
    captioned: asyncio.Event = field(default_factory=asyncio.Event)
    asking: bool = False  # one captionless photo already answers for the album


class Albums:
    def __init__(self, grace: float = CAPTION_GRACE_S) -> None:
        self.grace = grace
        self._albums: OrderedDict[str, _Album] = OrderedDict()

    def _album(self, group_id: str) -> _Album:
        album = self._albums.get(group_id)
        if album is None:
            album = self._albums[group_id] = _Album()
            while len(self._albums) > REMEMBERED:
                self._albums.popitem(last=False)
        return album

    def caption_seen(self, group_id: str) -> bool:
        """A captioned photo of the album arrived (call before any await, so waiting siblings hear of it at once).
        True the first time: that photo's answer says which picture was used."""
        album = self._album(group_id)
        first = not album.captioned.is_set()
        album.captioned.set()
        return first

    async def asks_for_caption(self, group_id: str) -> bool:
        """A photo of the album without a caption: True for the one photo that should ask the member for a caption,
        once no captioned sibling has come within the grace period; False for every other."""
        album = self._album(group_id)
        if album.asking or album.captioned.is_set():
            return False
        album.asking = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(album.captioned.wait(), self.grace)
        return not album.captioned.is_set()
