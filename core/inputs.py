"""The chat-to-server boundary for input pictures (image-to-image, inpainting, upscaling, variations).

A chat member names an input picture in one of two ways only: an upload id (a picture they just sent, stored by
:meth:`LocalInputStore.store_upload`) or a job reference (``JOB`` or ``JOB:N``) to a picture they may see — their
own job, or one posted in the same chat. A path on the server is an affordance of the local operator at the console
(``Requester.local``); from a chat it is refused with one sentence that says nothing about what exists on disk.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from core.domain import GenerationParams, Job, Requester
from core.ports import JobRepository
from core.storage.images import UPLOAD_PREFIX, LocalInputStore

JOB_REF = re.compile(r"(?P<job>[a-z0-9]{10})(?::(?P<number>\d{1,2}))?")  # a picture named in a chat: JOB or JOB:N


class InputRefused(Exception):
    """A refusal with a catalogue code and its values."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


class InputResolver:
    def __init__(self, repo: JobRepository, store: LocalInputStore, requester: Requester,
                 user_id: int | None) -> None:
        self.repo = repo
        self.store = store
        self.requester = requester
        self.user_id = user_id

    def resolve(self, params: GenerationParams) -> tuple[GenerationParams, tuple[int, int] | None]:
        """The request with ``image`` (and ``mask``, and ``style_image``) replaced by stored files, and the input
        picture's size (None without an input picture: a style reference alone does not set the size)."""
        size = None
        if params.image is not None:
            image_ref = params.image.strip()
            picked = self._job(image_ref)
            if picked is not None and not params.prompt.strip():
                params = replace(params, prompt=picked[0].prompt)  # variations and upscales keep the picture's prompt
            path, size = self._stored(image_ref, picked)
            params = replace(params, image=path)
        if params.mask is not None:
            mask_ref = params.mask.strip()
            params = replace(params, mask=self._stored(mask_ref, self._job(mask_ref))[0])
        if params.style_image is not None:
            style_ref = params.style_image.strip()
            if not style_ref:  # a bare --style-image with no picture attached or replied to
                raise InputRefused("style_image_which")
            params = replace(params, style_image=self._stored(style_ref, self._job(style_ref))[0])
        return params, size

    def _job(self, ref: str) -> tuple[Job, int] | None:
        """The job a reference names and the picture number (1-based), when it is a job reference."""
        match = JOB_REF.fullmatch(ref)
        if match is None:
            return None
        job = self.repo.get_job(match["job"])
        if job is None:
            raise InputRefused("input_job_gone", job_id=match["job"])
        if not self._may_see(job):
            raise InputRefused("input_job_not_yours", job_id=job.id)
        return job, int(match["number"] or 1)

    def _may_see(self, job: Job) -> bool:
        if self.requester.local or (self.user_id is not None and job.user_id == self.user_id):
            return True
        # A picture posted in this chat is visible to everyone in it.
        return (job.platform == self.requester.platform and job.chat_id is not None
                and job.chat_id == self.requester.chat_id)

    def _stored(self, ref: str, picked: tuple[Job, int] | None) -> tuple[str, tuple[int, int]]:
        if picked is not None:
            job, number = picked
            picture = job.images[number - 1] if 1 <= number <= len(job.images) else None
            if picture is None or picture.path is None:
                raise InputRefused("input_no_picture", job_id=job.id, number=number)
            return self.store.store(picture.path)
        if ref.startswith(UPLOAD_PREFIX) or self._kept_here(ref):
            try:
                return self.store.open_upload(ref if ref.startswith(UPLOAD_PREFIX) else UPLOAD_PREFIX + Path(ref).stem)
            except KeyError:
                raise InputRefused("input_paths") from None
        if not self.requester.local:
            raise InputRefused("input_paths")
        return self.store.store(ref)

    def _kept_here(self, ref: str) -> bool:
        """A picture this store already keeps, named by its stored file: what a job's spec holds when it is asked for
        again (a reroll, an edit). It is the upload id spelled as the store's own path, so it reveals and reaches
        nothing more than that id would; any other path stays the local operator's."""
        path = Path(ref)
        return path.is_absolute() and path.parent == self.store.root and path.suffix == ".png"
