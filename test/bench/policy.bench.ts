export async function run(): Promise<void> {
  await Promise.resolve();
  console.log('policy benchmark: not yet written');
}
