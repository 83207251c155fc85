// Modules loaded on first use rather than at start (decision 0021): undici, jose. The first caller's import is
// shared by every caller while it loads and after it loaded; an import that failed (a file the system could not
// open just then: EMFILE under load, say) is not kept, so the next caller tries again instead of the feature
// failing until a restart.

/** `load`, called at most once at a time, its module kept once it loaded. */
export function importedOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    if (!loading) {
      const attempt = load();
      loading = attempt;
      attempt.catch(() => {
        if (loading === attempt) loading = undefined;
      });
    }
    return loading;
  };
}
