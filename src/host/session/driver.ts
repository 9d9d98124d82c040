// The shell that a session runs in the instance, and the lines that feed it.
//
// The protocol, one command at a time on the session's standard input:
//
//   `_b TOKEN LENGTH; ( export ...; cd -- CWD || exit 1; exec ARGV... ) <&7 >&5 2>&6 ...; _e $?`
//   followed by LENGTH bytes of input, when there is input.
//
// The line is one line of shell text (a newline inside a word is written as
// "$nl"), read with `read -r` and run with `eval`. `_b` first kills the relays of
// the previous command (see below) and spools exactly LENGTH bytes of input into a
// file the command reads as its standard input (`/dev/null` without input). The
// subshell writes the begin marker `TOKEN<` into the command's stdout and stderr
// once its variables are exported, just before it runs the command. The
// input is spooled before the command starts, so a command that reads none of it
// cannot leave bytes behind that the next `read` would take for a command. The
// command runs in a subshell that `exec`s it: a `cd`, `exit` or variable of one
// command never reaches the next.
//
// Its stdout and stderr are two FIFOs of its own, each copied to the session's
// stream by a `cat` relay. The shell holds each FIFO open for reading and writing
// until the command ends, so that opening it never blocks; the relay reads it
// and the command writes it through descriptors of their own, so that a relay
// whose shell died (the server kills the shell when the client goes away) sees
// the end of its FIFO and exits, and a background child that writes after its
// relay is gone gets EPIPE instead of blocking. When the command has ended, `_e` writes the end marker
// `TOKEN>EXIT\n` into both FIFOs, behind everything the command wrote, so the
// relays deliver it last. Background children that outlive the command still
// hold the FIFOs: what they write before the marker belongs to the command, what
// they write after it is relayed until the next command's `_b` kills the relays
// (and is dropped by the client, which skips everything until the next begin
// marker); after that, their writes fail with EPIPE. The next command's FIFOs and
// relays are made right after the end marker, while the client reads the result,
// so that their cost stays off the next command's round trip; the FIFOs are made
// (and the used ones removed) 32 at a time, which saves two programs a command.
//
// The session's folder is named after its shell's pid: a shell killed with its
// client (the trap never ran) leaves its folder behind, and the next session
// removes the folders of shells that are gone.
//
// TOKEN is fresh and random for each command, and the command never sees it: it
// is neither in the command's argv nor in its environment.

/** The session shell: `sh -c DRIVER lxd-api-session SESSION_ID`. */
export const driverScript = `
for old in /tmp/.lxd-api-session-*-*; do
  [ -d "/proc/\${old##*-}" ] || rm -rf "$old" 2>/dev/null
done
d="/tmp/.lxd-api-session-$1-$$"
mkdir -m 700 "$d" || exit 125
trap 'kill -9 $o1 $o2 $p1 $p2 2>/dev/null; rm -rf "$d"' EXIT
nl='
'
n=0 o1= o2= p1= p2=
_prep() {
  n=$((n+1))
  if [ $((n % 32)) -eq 1 ]; then
    rm -f "$d"/f*
    set --
    i=$n
    while [ $i -lt $((n+32)) ]; do set -- "$@" "$d/fo$i" "$d/fe$i"; i=$((i+1)); done
    mkfifo "$@" || exit 125
  fi
  o="$d/fo$n" e="$d/fe$n"
  exec 5<>"$o" 6<>"$e"
  cat <"$o" 5<&- 6<&- & p1=$!
  cat <"$e" >&2 5<&- 6<&- & p2=$!
}
_b() {
  t=$1
  if [ -n "$o1" ]; then kill -9 $o1 $o2 2>/dev/null; wait $o1 $o2 2>/dev/null; fi
  o1= o2=
  if [ "$2" -gt 0 ]; then
    head -c "$2" >"$d/in" || exit 125
    exec 7<"$d/in"
    rm -f "$d/in"
  else
    exec 7</dev/null
  fi
}
_m() {
  printf '%s<\\n' "$t"
  printf '%s<\\n' "$t" >&2
}
_e() {
  printf '%s>%s\\n' "$t" "$1" >&5
  printf '%s>%s\\n' "$t" "$1" >&6
  exec 5>&- 6>&- 7<&-
  o1=$p1 o2=$p2
  _prep
}
_prep
while IFS= read -r line; do eval "$line"; done
`;

/** What one command of a session is. */
export interface SessionCommand {
  /** The fresh token of its markers. */
  readonly token: string;
  readonly argv: readonly string[];
  /** Variables exported to the command only. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Bytes of standard input that follow the line. */
  readonly inputLength: number;
}

/** The line that runs one command in the session, newline included. */
export function commandLine(command: SessionCommand): string {
  const exports = Object.entries(command.env).map(([name, value]) =>
    lineWord(`${name}=${value}`),
  );
  // The begin marker comes once the command's variables are set: from then on a
  // kill that looks for LXD_API_RUN finds the command.
  const steps = [
    ...(exports.length === 0 ? [] : [`export ${exports.join(' ')}`]),
    '_m',
    ...(command.cwd === undefined ? [] : [`cd -- ${lineWord(command.cwd)} || exit 1`]),
    `exec ${command.argv.map(lineWord).join(' ')}`,
  ];
  return (
    `_b ${command.token} ${command.inputLength}; ` +
    `( ${steps.join('; ')} ) <&7 >"$o" 2>"$e" 5>&- 6>&- 7<&-; _e $?\n`
  );
}

/** Environment names that `export` accepts. */
export const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Single quotes keep every byte but the quote itself and the newline, which would
// end the line: both are written outside the quotes.
function lineWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  const quoted = word.replaceAll("'", `'\\''`).replaceAll('\n', `'"$nl"'`);
  return `'${quoted}'`;
}
