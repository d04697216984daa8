"""An independent reader and writer of the state store: littlefs-python (PyPI, its own
build of the littlefs C library), given only the geometry docs/provisioning/statefs.md
documents: the store starts 4096 bytes into the state partition, 4096-byte blocks,
512-byte reads and writes, littlefs disk version 2.1.

    lfs_reader.py list IMAGE OFFSET SIZE        JSON: every entry, kind, size, SHA-256
    lfs_reader.py put IMAGE OFFSET SIZE PATH FILE   writes FILE as PATH into the store
"""
import hashlib
import json
import sys

from littlefs import LittleFS, UserContext

STORE_OFFSET = 4096
BLOCK_SIZE = 4096


def open_store(data):
    blocks = (len(data) - STORE_OFFSET) // BLOCK_SIZE
    ctx = UserContext(blocks * BLOCK_SIZE)
    ctx.buffer = bytearray(data[STORE_OFFSET:STORE_OFFSET + blocks * BLOCK_SIZE])
    fs = LittleFS(context=ctx, block_size=BLOCK_SIZE, block_count=blocks,
                  read_size=512, prog_size=512, mount=False)
    fs.mount()
    return fs, ctx


def main():
    cmd, image, offset, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(image, "rb") as f:
        f.seek(offset)
        data = f.read(size)
    fs, ctx = open_store(data)
    if cmd == "list":
        info = fs.fs_stat()
        out = {"disk_version": info.disk_version, "block_count": info.block_count,
               "entries": {}}
        for root, dirs, files in fs.walk("/"):
            for d in dirs:
                path = (root.rstrip("/") + "/" + d).lstrip("/")
                out["entries"][path] = {"kind": "dir"}
            for name in files:
                path = (root.rstrip("/") + "/" + name).lstrip("/")
                with fs.open("/" + path, "rb") as fh:
                    body = fh.read()
                out["entries"][path] = {"kind": "file", "size": len(body),
                                        "sha256": hashlib.sha256(body).hexdigest()}
        print(json.dumps(out, sort_keys=True))
    elif cmd == "put":
        path, source = sys.argv[5], sys.argv[6]
        with open(source, "rb") as f:
            body = f.read()
        parent = "/" + path.rsplit("/", 1)[0] if "/" in path else "/"
        fs.makedirs(parent, exist_ok=True)
        with fs.open("/" + path, "wb") as fh:
            fh.write(body)
        fs.unmount()
        with open(image, "r+b") as f:
            f.seek(offset + STORE_OFFSET)
            f.write(bytes(ctx.buffer))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
