"""An upload handler that keeps an import file in memory and drops it past the size limit.

Django spools large uploads to a temporary file on disk; an import file holds plaintext secrets, so it
must never touch the disk. Past the limit the bytes are read and discarded (the client still gets our
413 page instead of a reset connection) and `too_large` tells the view.
"""

import io

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class BoundedMemoryUpload(FileUploadHandler):
    def __init__(self, request, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large = False
        self.buffer = io.BytesIO()

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        # Returning nothing means no later handler sees the chunk (there is none, and it must stay that way).
        if self.too_large or start + len(raw_data) > self.limit:
            self.too_large = True
            self.buffer = io.BytesIO()
        else:
            self.buffer.write(raw_data)

    def file_complete(self, file_size: int):
        if self.too_large:
            return None
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
