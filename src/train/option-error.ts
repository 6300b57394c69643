// A bad option given to the library (train, trainCrf, trainLstm, Engine.create): its message names
// the option as the CLI spells it. The CLI's own usage errors are OptionErrors too, and exit with 2.
export class OptionError extends Error {
  override name = 'OptionError';
}
