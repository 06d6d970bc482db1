import type { Command } from 'commander';
import { dockerClient } from '../../core/docker/client.ts';
import type { EnsuredImages, ImageKind, ImageProgress, ListedImage } from '../../core/docker/images/index.ts';
import { ensureImages, listImages } from '../../core/docker/images/index.ts';
import { parseFormat, printData } from '../output.ts';

interface BuildFlags {
  readonly fromRegistry?: boolean;
  readonly force?: boolean;
  readonly output?: string;
}

/** `openshell image …`: build and list the supervisor and sandbox images. */
export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('Build and list the supervisor and default sandbox images');

  image
    .command('build')
    .description(
      'Build the supervisor and sandbox images without a container registry (debootstrap + docker import); ' +
        'does nothing when images for the current inputs already exist',
    )
    .option('--from-registry', 'build FROM debian:bookworm-slim with apt-get instead (needs a reachable registry)')
    .option('--force', 'rebuild everything, including a fresh root filesystem, even if up-to-date images exist')
    .option('-o, --output <format>', 'result format: table, json or yaml (progress always goes to stderr)', 'table')
    .action(async (flags: BuildFlags) => {
      const format = parseFormat(flags.output);
      const result = await ensureImages(dockerClient(), {
        fromRegistry: flags.fromRegistry === true,
        force: flags.force === true,
        onProgress: progressPrinter(process.stderr),
      });
      if (format === 'table') printData(buildRows(result), 'table', BUILD_COLUMNS);
      else printData(result, format, []);
    });

  image
    .command('list')
    .description('List openshell images with their tags, content hash, size and creation time')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(async (flags: { output?: string }) => {
      const format = parseFormat(flags.output);
      printData(await listImages(dockerClient()), format, LIST_COLUMNS);
    });
}

interface BuildRow {
  readonly image: ImageKind;
  readonly tag: string;
  readonly id: string;
  readonly cached: boolean;
}

const buildRows = (r: EnsuredImages): BuildRow[] =>
  (['supervisor', 'sandbox'] as const).map((image) => ({ image, tag: r[image].tag, id: r[image].id, cached: r[image].cached }));

const BUILD_COLUMNS = [
  { header: 'IMAGE', value: (r: BuildRow) => r.image },
  { header: 'TAG', value: (r: BuildRow) => r.tag },
  { header: 'ID', value: (r: BuildRow) => shortId(r.id) },
  { header: 'STATUS', value: (r: BuildRow) => (r.cached ? 'up to date' : 'built') },
];

const LIST_COLUMNS = [
  { header: 'REPOSITORY', value: (r: ListedImage) => r.repository },
  { header: 'TAGS', value: (r: ListedImage) => r.tags.join(',') },
  { header: 'HASH', value: (r: ListedImage) => r.hash.slice(0, 12) },
  { header: 'SIZE', value: (r: ListedImage) => `${(r.size / 1e6).toFixed(0)} MB` },
  { header: 'CREATED', value: (r: ListedImage) => r.created.replace('T', ' ').slice(0, 19) },
];

const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/** Renders progress as `[i/n] step: message` lines; byte counters redraw one line on a terminal. */
export function progressPrinter(out: NodeJS.WriteStream): (e: ImageProgress) => void {
  let redrawing = false;
  return (e) => {
    const line = `[${e.index}/${e.total}] ${e.step}: ${e.message.replace(/^I: /, '')}`;
    if (e.percent === undefined) {
      out.write(`${redrawing ? '\n' : ''}${line}\n`);
      redrawing = false;
    } else if (out.isTTY) {
      out.write(`\r${line} (${e.percent}%)\x1b[K${e.percent >= 100 ? '\n' : ''}`);
      redrawing = e.percent < 100;
    } else if (e.percent % 10 === 0) {
      out.write(`${line} (${e.percent}%)\n`);
    }
  };
}
