#!/usr/bin/env python3
"""Upload one file with tuspy (the official tus Python client): the wall-time reference.

    tus_upload.py URL FILE [CHUNK_BYTES]

Prints the upload URL on success; exits non-zero otherwise.
"""

import os
import sys

from tusclient import client


def main() -> int:
    url, path = sys.argv[1], sys.argv[2]
    chunk = int(sys.argv[3]) if len(sys.argv) > 3 else 8 * 1024 * 1024
    c = client.TusClient(url)
    up = c.uploader(file_path=path, chunk_size=chunk,
                    metadata={"filename": os.path.basename(path), "filetype": "video/mp4"})
    up.upload()
    if up.offset != os.path.getsize(path):
        print(f"tuspy stopped at offset {up.offset}", file=sys.stderr)
        return 1
    print(up.url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
