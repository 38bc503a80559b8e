#!/usr/bin/env python3
"""Upload many files one after another with tuspy (the official tus Python client): the reference
for the small-files row.

    tus_upload_many.py URL FILE...
"""

import os
import sys

from tusclient import client


def main() -> int:
    url, paths = sys.argv[1], sys.argv[2:]
    c = client.TusClient(url)
    for path in paths:
        up = c.uploader(file_path=path, chunk_size=8 * 1024 * 1024,
                        metadata={"filename": os.path.basename(path), "filetype": "application/pdf"})
        up.upload()
        if up.offset != os.path.getsize(path):
            print(f"{path}: tuspy stopped at offset {up.offset}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
