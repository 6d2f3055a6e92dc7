/** The renderer's only door to the main process; the API grows from the shared contract. */
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('relay', { platform: process.platform });
