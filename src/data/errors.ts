// Errors in input files (data, templates): they name the file and, where there is one, the 1-based line.

export class DataError extends Error {
  /** the file (or other source name) the error is in */
  readonly file: string;
  /** 1-based line number, or undefined when the error concerns the whole file */
  readonly line: number | undefined;

  constructor(file: string, line: number | undefined, message: string) {
    super(line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
  }
}
