"""Where Composer keeps things on disk: paths, atomic files, drafts, history. No Qt."""
