export { BUSYBOX_IMAGE_CHANGES, buildBusyboxRootfs, findBusybox, findNssLibraries } from './busybox.js';
