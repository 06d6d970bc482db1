export async function run(): Promise<void> {
  await Promise.resolve();
  console.log('sandbox benchmark: not yet written');
}
