//! What kind of file a path names, for refusing outputs that are not regular files.

use std::fmt;
use std::fs::Metadata;

/// What kind of file exists at an output path (symbolic links followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file: the only kind an output may replace.
    Regular,
    /// A directory.
    Directory,
    /// A character device (such as `/dev/null`).
    CharDevice,
    /// A block device (a disk).
    BlockDevice,
    /// A FIFO (named pipe).
    Fifo,
    /// A Unix domain socket.
    Socket,
    /// Anything else the operating system reports.
    Other,
}

impl FileKind {
    /// The kind of the file `meta` describes.
    pub fn of(meta: &Metadata) -> FileKind {
        let t = meta.file_type();
        if t.is_file() {
            return FileKind::Regular;
        }
        if t.is_dir() {
            return FileKind::Directory;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_char_device() {
                return FileKind::CharDevice;
            }
            if t.is_block_device() {
                return FileKind::BlockDevice;
            }
            if t.is_fifo() {
                return FileKind::Fifo;
            }
            if t.is_socket() {
                return FileKind::Socket;
            }
        }
        FileKind::Other
    }

    /// The kind's name with its article ("a directory", "a FIFO (named pipe)").
    pub fn with_article(self) -> &'static str {
        match self {
            FileKind::Regular => "a regular file",
            FileKind::Directory => "a directory",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::Socket => "a socket",
            FileKind::Other => "a special file",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.with_article();
        f.write_str(text.split_once(' ').map_or(text, |(_, kind)| kind))
    }
}
