// Text from a request that goes into a log line: cut to a length, saying how much was cut,
// so a hostile alert cannot make one line megabytes long (pino escapes the characters).
export function boundedText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
