// `npm run bench`: each benchmark prints its figures against a baseline measured in the same run.
const only = process.argv[2];
const suites: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  policy: () => import('./policy.bench.ts'),
  sandbox: () => import('./sandbox.bench.ts'),
  tui: () => import('./tui.bench.ts'),
  proxy: () => import('./proxy.bench.ts'),
  l7: () => import('./l7.bench.ts'),
  inference: () => import('./inference.bench.ts'),
  placeholders: () => import('./placeholders.bench.ts'),
  served: () => import('./served.bench.ts'),
};
for (const [name, load] of Object.entries(suites)) {
  if (only && only !== name) continue;
  console.log(`\n== ${name} ==`);
  await (await load()).run();
}
