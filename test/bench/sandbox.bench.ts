// Sandbox create → first `exec true`: openshell's full pod versus a bare `docker run -d` + `docker exec`
// of the same image on the same engine, measured alternately in one run.
import { PassThrough } from 'node:stream';
import { dockerClient } from '../../core/docker/client.ts';
import { ensureImages } from '../../core/docker/images/index.ts';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import { median, timeMs } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);

export async function run(): Promise<void> {
  const docker = dockerClient();
  const images = await ensureImages(docker);
  const gw = new EmbeddedGateway();
  await gw.start();
  const sink = (): PassThrough => new PassThrough().resume();
  const ours: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const name = `bench-${process.pid}-${i}`;
    ours.push(
      await timeMs(async () => {
        await gw.createSandbox({ name });
        const code = await gw.exec(name, { cmd: ['true'], stdout: sink(), stderr: sink() });
        if (code !== 0) throw new Error(`exec true exited ${code}`);
      }),
    );
    await gw.deleteSandbox(name);
    const container = await (async () => {
      let c: Awaited<ReturnType<typeof docker.createContainer>> | undefined;
      bare.push(
        await timeMs(async () => {
          c = await docker.createContainer({ Image: images.sandbox.tag, Entrypoint: ['sleep'], Cmd: ['infinity'] });
          await c.start();
          const exec = await c.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
          const stream = await exec.start({ hijack: true, stdin: false });
          stream.resume();
          await new Promise((r) => stream.on('end', r));
          const { ExitCode } = await exec.inspect();
          if (ExitCode !== 0) throw new Error(`exec true exited ${ExitCode}`);
        }),
      );
      return c!;
    })();
    await container.remove({ force: true });
  }
  const m = { ours: median(ours), bare: median(bare) };
  console.log(`create → first exec of \`true\`, median of ${RUNS}:`);
  console.log(`  openshell sandbox (supervisor + fence + agent): ${m.ours.toFixed(0)} ms`);
  console.log(`  bare docker run -d + docker exec:              ${m.bare.toFixed(0)} ms`);
  console.log(`  ratio: ${(m.ours / m.bare).toFixed(2)}x (target ≤ 2.0x)`);
}
