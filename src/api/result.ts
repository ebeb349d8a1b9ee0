// One result shape for every parser and validator that returns its errors as values (issue #9:
// six per-folder aliases became this one generic; each folder names its own error type).
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };
