// libm functions under names that cannot clash with Activation's cases inside the tests.
import Foundation

func hyperbolicTangent(_ x: Double) -> Double { tanh(x) }
func exponential(_ x: Double) -> Double { exp(x) }
func naturalLog(_ x: Double) -> Double { log(x) }
func errorFunction(_ x: Double) -> Double { erf(x) }
