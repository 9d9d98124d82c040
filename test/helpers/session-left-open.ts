// A program that runs one command in a session and ends without disconnecting:
// it must exit by itself. Prints the session's id. Argument: the host spec.
import { connect } from '../../src/host/connect.js';

const host = await connect(process.argv[2] ?? '', { mode: 'session' });
const result = await host.run('echo "$LXD_API_SESSION"');
process.stdout.write(`${String(result.stdout)}\n`);
