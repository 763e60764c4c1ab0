// Files that ship beside the code (schemas, pipelines) are found from this module: it sits one
// level below the project root both as source (src/) and bundled (dist/episodic.mjs), so one
// relative path serves both ways the CLI runs (see bin/episodic.js).

/** A file of the project by its path from the project root, e.g. `schemas/input-event.avsc`. */
export function projectFile(path: string): URL {
  return new URL(`../${path}`, import.meta.url);
}
