"""How a finished job is shown on any chat platform: which pictures may leave (and which as spoilers), and the
sentence that goes with them. Shared by the Discord and Telegram adapters."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain import Decision, Job, JobStatus


@dataclass(frozen=True)
class PictureFile:
    index: int
    path: str
    filename: str
    spoiler: bool


def result_files(job: Job) -> list[PictureFile]:
    """Pictures that may leave: review-band (and unchecked) ones as SPOILER_ files, blocked ones not at all."""
    files = []
    for image in job.images:
        if image.path is None or image.decision is Decision.BLOCK:
            continue
        spoiler = image.decision in (Decision.REVIEW, Decision.UNCHECKED)
        name = f"{'SPOILER_' if spoiler else ''}muralist-{job.id}-{image.index + 1}.png"
        files.append(PictureFile(image.index, image.path, name, spoiler))
    return files


def result_text(job: Job, mention: str) -> str:
    if job.status is JobStatus.FAILED:
        return f"{mention} job `{job.id}` failed on the worker; your quota for it was refunded."
    lines = [f"{mention} `{job.prompt[:300]}` — seed {job.seed}, job `{job.id}`"]
    blocked = [i.index + 1 for i in job.images if i.decision is Decision.BLOCK or i.path is None]
    review = [i.index + 1 for i in job.images if i.decision in (Decision.REVIEW, Decision.UNCHECKED) and i.path]
    if review:
        lines.append(f"Picture(s) {', '.join(map(str, review))} may be sensitive: hidden behind a spoiler and sent to "
                     f"the moderators.")
    if blocked:
        lines.append(f"Picture(s) {', '.join(map(str, blocked))} were blocked by the image check and not posted.")
    note = method_note(job)
    if note:
        lines.append(note)
    return "\n".join(lines)


def method_note(job: Job) -> str | None:
    """For upscaling and inpainting, which method ran (the worker wrote it into the picture's metadata)."""
    if job.kind not in ("upscale", "inpaint"):
        return None
    from PIL import Image

    for image in job.images:
        if image.path:
            try:
                with Image.open(image.path) as picture:
                    method = picture.text.get("Method")  # type: ignore[attr-defined]
            except OSError:
                return None
            return f"Made with {method}." if method else None
    return None
