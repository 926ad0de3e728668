export { SocketServer, type BoundListener, type ListenerSpec, type SocketServerOptions } from './socket-server.js'
export { FrameReader, FrameError } from './frame-reader.js'
export { dispatchRequest, type DispatchResult } from './dispatch.js'
