#!/usr/bin/env node
// The one entry point: `herald <command>`. Each command lives beside the code it drives.
import { runControllerCommand } from './controller/command.ts';
import { runDevApiServerCommand } from './devapi/command.ts';
import { runLabCommand } from './lab/command.ts';
import { runSpeakerCommand } from './speaker/command.ts';
import { runStatusCommand } from './status/command.ts';

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

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'controller':
      return runControllerCommand(rest);
    case 'speaker':
      return runSpeakerCommand(rest);
    case 'status':
      return runStatusCommand(rest);
    case 'lab':
      return runLabCommand(rest);
    case 'dev':
      if (rest[0] === 'apiserver') return runDevApiServerCommand(rest.slice(1));
      process.stderr.write(`herald dev: unknown subcommand "${rest[0] ?? ''}"; try 'herald dev apiserver --help'\n`);
      return 2;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(HELP);
      return 0;
    default:
      process.stderr.write(`herald: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
