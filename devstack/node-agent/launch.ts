import type { CoreV1Api, V1Container, V1Pod } from '@kubernetes/client-node';
import { ContainerConfigError, type ConfigSource } from './config-source.js';
import { containerEnv, expandArgv } from './env.js';
import type { LocalImage } from './images.js';
import { planMounts, type BindMount } from './sandbox.js';
import { prepareVolumes } from './volumes.js';

/** Everything needed to start one container instance (or to run an exec probe as it would run). */
export interface Launch {
  env: Record<string, string>;
  argv: string[];
  mounts: BindMount[];
}

export interface LaunchContext {
  pod: V1Pod;
  podDir: string;
  podIP: string;
  hostIP: string;
  core: CoreV1Api;
  source: ConfigSource;
  hostsFile: string;
  serviceEnv: Record<string, string>;
}

/**
 * Resolves a container against this machine: its volumes as local paths, its environment (the image's PATH, then
 * the Pod's variables), its argv after $(VAR) expansion (from the image's entrypoint and cmd where `command`/`args` are absent), and its
 * bind mounts. Throws VolumeNotReadyError or ContainerConfigError when the Pod cannot start yet.
 */
export async function prepareLaunch(ctx: LaunchContext, spec: V1Container, image: LocalImage): Promise<Launch> {
  const addresses = { podIP: ctx.podIP, hostIP: ctx.hostIP };
  const volumes = await prepareVolumes({
    pod: ctx.pod,
    podDir: ctx.podDir,
    source: ctx.source,
    core: ctx.core,
    addresses,
  });
  const podEnv = await containerEnv(ctx.pod, spec, ctx.source, addresses, ctx.serviceEnv);
  const hostname = ctx.pod.spec?.hostname ?? ctx.pod.metadata?.name ?? '';
  const env = { PATH: image.path.join(':'), HOME: '/root', HOSTNAME: hostname, ...podEnv };
  // Kubernetes' rule: command replaces ENTRYPOINT (and drops CMD); args replace CMD.
  const command = expandArgv(spec.command, podEnv);
  const args = expandArgv(spec.args, podEnv);
  const argv = command ? [...command, ...(args ?? [])] : [...image.entrypoint, ...(args ?? image.cmd)];
  if (argv.length === 0) throw new ContainerConfigError('no command specified');
  return { env, argv, mounts: planMounts(spec, volumes, podEnv, ctx.hostsFile) };
}
