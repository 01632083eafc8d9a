public let _xMPCField = 1
