"""Media files of the desk: agents' image uploads checked by their content, previews, and the
names under which incoming content is kept in Django's default storage.

LINE's image message takes JPEG or PNG, the original at most 10 MB and the preview at most
1 MB, both fetched by LINE over HTTPS (LIVECHAT_PUBLIC_MEDIA_URL). The type is decided by
decoding the bytes with Pillow, never by the file name or the client's Content-Type.
"""

from __future__ import annotations

import io
import mimetypes
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

from apps.core.exceptions import ApplicationError

IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}  # LINE's image message rule
PREVIEW_SIDE = 240  # px, the longest side of the preview LINE shows in the chat
PREVIEW_QUALITY = 80
# a default when LINE's Content-Type says nothing useful
KIND_EXTENSIONS = {"image": "jpg", "video": "mp4", "audio": "m4a", "file": "bin"}


class InvalidUpload(ApplicationError):
    code = "invalid_upload"
    default_message = "Upload a JPEG or PNG image."
    field = "file"


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int


def check_image(data: bytes) -> CheckedImage:
    """The upload as a JPEG or PNG image, or a 400 on `file` (oversized, empty, not an image,
    another image format, truncated or a decompression bomb)."""
    limit = settings.LIVECHAT_MEDIA_MAX_BYTES
    if len(data) > limit:
        raise InvalidUpload(f"The image is {len(data)} bytes; the limit is {limit}.")
    if not data:
        raise InvalidUpload("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format or ""
                width, height = image.size
                image.verify()  # the whole structure, not only the header
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidUpload("The file is not an image LINE can show: upload a JPEG or PNG.") from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidUpload("The image is damaged or truncated.") from None
    if image_format not in IMAGE_FORMATS:
        raise InvalidUpload(f"{image_format or 'This'} images are not accepted: upload a JPEG or PNG.")
    extension, content_type = IMAGE_FORMATS[image_format]
    return CheckedImage(data=data, extension=extension, content_type=content_type, width=width, height=height)


def preview_of(image: CheckedImage) -> bytes:
    """A JPEG at most PREVIEW_SIDE px on its longest side (well under LINE's 1 MB preview limit)."""
    with Image.open(io.BytesIO(image.data)) as opened:
        opened.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
        out = io.BytesIO()
        opened.convert("RGB").save(out, format="JPEG", quality=PREVIEW_QUALITY)
        return out.getvalue()


def content_extension(kind: str, content_type: str, file_name: str = "") -> str:
    """The extension for downloaded content: from the file's own name (file messages), else from
    LINE's Content-Type, else the kind's default."""
    suffix = PurePosixPath(file_name).suffix.lstrip(".").lower()
    if suffix.isalnum() and len(suffix) <= 8:
        return suffix
    guessed = mimetypes.guess_extension((content_type or "").split(";")[0].strip())
    if guessed:
        return {"jpe": "jpg", "jpeg": "jpg"}.get(guessed.lstrip("."), guessed.lstrip("."))
    return KIND_EXTENSIONS.get(kind, "bin")


def public_url(name: str) -> str | None:
    """Where LINE fetches a stored file from (None when LIVECHAT_PUBLIC_MEDIA_URL is unset)."""
    base = settings.LIVECHAT_PUBLIC_MEDIA_URL
    return f"{base.rstrip('/')}/{name}" if base else None


def storage_url(name: str | None) -> str | None:
    """The stored file's URL for agents (Django storage's own URL), None when there is none."""
    return default_storage.url(name) if name else None
