// The CLI's Ctrl-C signal: aborted on the first SIGINT (see main.ts), passed to training.
export const interrupt = new AbortController();
