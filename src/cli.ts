#!/usr/bin/env node
// The one entry point: `herald <command>`. Each command lives beside the code it drives. This is
// also the one boundary where a command that cannot start becomes one line on stderr and an exit
// code (2: usage, 1: environment), and where nothing thrown gets past as a stack (issue #13).
// Each command is imported when it is run, not all at start-up: a speaker (on every node) does not
// load the controller, the API-server stand-in or the lab, and the bundle splits them into chunks
// of their own (issue #10: memory paid once per node).
import { failureText, isFailure, unexpectedFailure, usageFailure, wantsDebug } from './observability/failure.ts';
import type { CommandResult, Failure } from './observability/failure.ts';

const HELP = `herald — load balancer for bare-metal Kubernetes

Usage: herald <command> [flags]

Commands:
  controller          LB IPAM: give Services of type LoadBalancer addresses from IPPools
  speaker             announce allocated addresses on the local segment (L2: ARP and NDP)
  status              the speakers, their BGP sessions, and who holds each L2 VIP
  lab                 run the demo: API server stand-in + controller with example pools and Services
  dev apiserver       an in-memory Kubernetes API server for tests and development (never production)

Run 'herald <command> --help' for a command's flags.
`;

async function dispatch(cmd: string | undefined, rest: readonly string[]): Promise<CommandResult> {
  switch (cmd) {
    case 'controller':
      return (await import('./controller/command.ts')).runControllerCommand(rest);
    case 'speaker':
      return (await import('./speaker/command.ts')).runSpeakerCommand(rest);
    case 'status':
      return (await import('./status/command.ts')).runStatusCommand(rest);
    case 'lab':
      return (await import('./lab/command.ts')).runLabCommand(rest);
    case 'dev':
      if (rest[0] === 'apiserver') return (await import('./devapi/command.ts')).runDevApiServerCommand(rest.slice(1));
      return usageFailure('HERALD_USAGE', `unknown subcommand "${rest[0] ?? ''}"; try 'herald dev apiserver --help'`);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(HELP);
      return 0;
    default:
      return usageFailure('HERALD_USAGE', `unknown command "${cmd}"; the commands are controller, speaker, status, lab and dev apiserver (see 'herald --help')`);
  }
}

function commandName(cmd: string | undefined, rest: readonly string[]): string {
  if (cmd === 'dev' && rest[0] === 'apiserver') return 'herald dev apiserver';
  return cmd === undefined || !['controller', 'speaker', 'status', 'lab', 'dev'].includes(cmd) ? 'herald' : `herald ${cmd}`;
}

/** The exit code; a Failure has been written to stderr as one line. */
export async function main(argv: readonly string[], stderr: (text: string) => void = (t) => void process.stderr.write(t)): Promise<{ code: number; failure?: Failure }> {
  const [cmd, ...rest] = argv;
  let result: CommandResult;
  try {
    result = await dispatch(cmd, rest);
  } catch (err) {
    result = unexpectedFailure(err);
  }
  if (!isFailure(result)) return { code: result };
  stderr(failureText(commandName(cmd, rest), result, wantsDebug(rest)));
  return { code: result.exit, failure: result };
}

// After start-up a command logs what goes wrong; a throw nobody caught is still one line (issue #13).
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    const argv = process.argv.slice(2);
    process.stderr.write(failureText(commandName(argv[0], argv.slice(1)), unexpectedFailure(err), wantsDebug(argv)));
    process.exit(1);
  });
}

const outcome = await main(process.argv.slice(2));
// A command that could not start may leave a timer or socket behind: it has said why, so go.
if (outcome.failure !== undefined) process.exit(outcome.code);
process.exitCode = outcome.code;
