/** The network identity libpyiotcloud asks for (get_mac, get_ip, get_subnet, get_gateway). */
export interface NetworkInfo {
  /** Interface of the default IPv4 route. */
  iface: string;
  mac: string;
  ip: string;
  netmask: string;
  gateway: string;
}

export interface Network {
  readonly simulated: boolean;
  /** The interface that carries the default IPv4 route, as the seed's Python simulator picks it. */
  read(): Promise<NetworkInfo>;
}
