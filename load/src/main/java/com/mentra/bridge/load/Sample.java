package com.mentra.bridge.load;

/**
 * One sampling interval of the load phase. {@code t} is seconds since the load started; rates are
 * per second over the interval; {@code machineCores} is the whole machine's busy CPU (everything,
 * other users' work included); latencies are in milliseconds over the interval (NaN: none).
 */
record Sample(
    double t,
    double bridgeCores,
    double rssMb,
    int threads,
    int fds,
    double livekitCores,
    double phonesCores,
    double driverCores,
    double machineCores,
    double sentPerSecond,
    double receivedPerSecond,
    long sentTotal,
    long receivedTotal,
    double downP50,
    double downP99,
    double downMax,
    double upP50,
    double upP99,
    double upMax) {}
